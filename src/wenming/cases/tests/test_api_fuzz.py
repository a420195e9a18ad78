"""Schema-driven fuzzing of the whole API (schemathesis) against a running server.

For each operation of /api/openapi.json, with valid (positive) and invalid (negative) data
generated from its schema, authenticated once with an API token and once with a browser session
(cookie and CSRF token), the live server must never answer 5xx, and every 4xx must be the
documented JSON error (core/api.py ErrorOut: code from the tree with its status, Chinese message,
errors per field as lists); schemathesis' own checks confirm that statuses and bodies are the
documented ones. The path and query parameters carry the test data's codes as examples, so that
generated requests reach the services, not only 404s.

The bounded run here takes WENMING_FUZZ_EXAMPLES (default 25) examples per operation, mode and
authentication; ``wenming fuzz-api --examples N [--db postgres]`` runs it longer."""

from __future__ import annotations

import json
import os

import pytest
from django.test import Client

from wenming.core.errors import all_codes

EXAMPLES = int(os.environ.get("WENMING_FUZZ_EXAMPLES", "25"))
CSRF = "A" * 32


def _is_chinese(text) -> bool:
    return isinstance(text, str) and any("\u4e00" <= ch <= "\u9fff" for ch in text)


def header(response, name: str) -> str:
    for key, value in response.headers.items():
        if key.lower() == name.lower():
            return value[0] if isinstance(value, list) else value
    return ""


def documented_error(response) -> str | None:
    """Why a 4xx answer is not the documented JSON error, or None."""
    content_type = header(response, "Content-Type")
    if not content_type.startswith("application/json"):
        return f"not JSON: {content_type} {response.text[:200]!r}"
    try:
        body = response.json()
    except ValueError:
        return f"invalid JSON: {response.text[:200]!r}"
    if not isinstance(body, dict) or set(body) != {"code", "message", "errors"}:
        return f"not the error shape: {body!r}"[:300]
    codes = all_codes()
    if body["code"] not in codes or codes[body["code"]] != response.status_code:
        return f"code {body['code']!r} does not answer {response.status_code}"
    if not _is_chinese(body["message"]):
        return f"message not Chinese: {body['message']!r}"
    errors = body["errors"]
    if not isinstance(errors, dict) or not all(
            isinstance(v, list) and v and all(_is_chinese(m) for m in v) for v in errors.values()):
        return f"errors not Chinese lists: {errors!r}"[:300]
    return None


def prepared(schema: dict, values: dict[str, list]) -> dict:
    """The schema with ``examples`` on the parameters and body properties named in ``values``,
    and without security requirements: the run sends its own credentials, which a generated
    Authorization header or session cookie would otherwise replace."""
    schema = json.loads(json.dumps(schema))
    for path in schema["paths"].values():
        for operation in path.values():
            operation["security"] = []
            for parameter in operation.get("parameters", []):
                if parameter["name"] in values:
                    parameter["schema"]["examples"] = values[parameter["name"]]
            for content in operation.get("requestBody", {}).get("content", {}).values():
                properties = content["schema"].get("properties", {})
                for name, prop in properties.items():
                    if name in values:
                        prop["examples"] = values[name]
                # a whole valid body too, so that some requests get through to the services
                content["example"] = {name: values[name][0] for name in properties if name in values}
    return schema


@pytest.fixture
def fuzz_world(transactional_db, personas, org, intake, category):
    from wenming.cases.intake import services as intake_services
    from wenming.cases.workflow import services
    from wenming.core import services_tokens

    office = personas["office_district_a"]
    reported, _ = intake_services.problem_report(actor=personas["inspector"], intake=intake())
    assigned, _ = intake_services.problem_report(actor=personas["grid_worker"], intake=intake(area=org["grid_a1"],
                                                                                      title="楼道堆放杂物"))
    assigned = services.problem_assign(actor=office, problem=assigned, unit=org["street_a1"])
    from wenming.core import tokens

    _, secret = services_tokens.token_create(actor=personas["office_city"], name="模糊测试", unit=org["district_a"],
                                             role="office", permissions=list(tokens.PERMISSIONS))
    browser = Client()
    browser.force_login(office)
    return {
        "examples": {"code": [reported.code, assigned.code], "keep": [assigned.code],
                     "action": ["accept", "assign", "reject", "sign", "submit", "verify_pass"],
                     "category": [category.code], "area": [org["community_a1"].code, org["street_a1"].code],
                     "unit": [org["street_a1"].code], "verifier": ["inspector"], "state": ["reported"],
                     "title": ["公益广告破损"], "address": ["甲一社区东门"], "note": ["已清理"], "reason": ["不属于本单位"],
                     "deadline": ["2027-01-15T17:30:00+08:00"], "latitude": ["30.25"], "longitude": ["120.16"]},
        "auths": {
            "token": {"headers": {"Authorization": f"Bearer {secret}"}, "cookies": {}},
            "session": {"headers": {"X-CSRFToken": CSRF},
                        "cookies": {"sessionid": browser.cookies["sessionid"].value, "csrftoken": CSRF}},
        },
    }


@pytest.mark.parametrize("auth", ["token", "session"])
def test_fuzz_the_api(live_server, fuzz_world, auth):
    import requests
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    document = requests.get(f"{live_server.url}/api/openapi.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(prepared(document, fuzz_world["examples"]))
    credentials = fuzz_world["auths"][auth]
    session = requests.Session()
    failures: list[str] = []
    seen: dict[int, int] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5

    for operation in operations:
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True, print_blob=False,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            def run(case):
                response = case.call(base_url=live_server.url, session=session, headers=credentials["headers"],
                                     cookies=credentials["cookies"], timeout=60)
                seen[response.status_code] = seen.get(response.status_code, 0) + 1
                where = f"{case.method} {case.formatted_path} ({mode}) → {response.status_code}"
                if response.status_code >= 500:
                    failures.append(f"{where}: {response.text[:300]}")
                    return
                if response.status_code >= 400:
                    problem = documented_error(response)
                    if problem:
                        failures.append(f"{where}: {problem}")
                        return
                try:
                    case.validate_response(response, checks=[not_a_server_error, status_code_conformance,
                                                             content_type_conformance, response_schema_conformance])
                except AssertionError as error:  # schemathesis' failure groups
                    failures.append(f"{where}: {str(error)[:400]}")

            run()
    print("statuses", auth, sorted(seen.items()))
    assert not failures, "\n".join(failures[:20])
    # the run reached the services: some requests succeeded, some were refused
    assert any(200 <= status < 300 for status in seen) and any(400 <= status < 500 for status in seen), seen
