from django import template

register = template.Library()

# the bands of the scatter chart's colours (static/places/points.js), lowest first
BANDS = [(60, "score-red"), (80, "score-orange"), (90, "score-yellowgreen")]


@register.filter
def score_band(score) -> str:
    """The CSS class of a point's latest score: <60 red, 60–80 orange, 80–90 yellow-green,
    ≥90 green, no score grey."""
    if score is None or score == "":
        return "score-none"
    for limit, css in BANDS:
        if score < limit:
            return css
    return "score-green"
