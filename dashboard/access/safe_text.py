"""User text is text: escaping for Markdown and HTML renderers, and server paths kept out of
messages shown to users.

Names come from uploaded files; a commune called `![x](http://host/beacon.png)` or
`<img src=…>` must be shown as those characters, never make a browser fetch anything.
"""
from __future__ import annotations

import html as _html
import re

# Every ASCII punctuation character may be backslash-escaped in CommonMark; Streamlit's own
# directives (:red[…], :material/…:, $…$ maths) start with these characters too.
_MD = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$=^&\"'%@/])")
_SPACE = re.compile(r"[\r\n\t]+")


def markdown(text) -> str:
    """Text safe for st.markdown / st.title / st.caption / widget labels: literal."""
    if text is None:
        return ""
    return _MD.sub(r"\\\1", _SPACE.sub(" ", str(text)))


def html(text) -> str:
    """Text safe inside HTML or Plotly's HTML-like titles and labels."""
    if text is None:
        return ""
    return _html.escape(str(text), quote=True)


# /abs/path/with/two/parts, C:\\windows\\paths, file:// URLs
_PATH = re.compile(r"(?<![\w.])(?:file://)?(?:[A-Za-z]:\\\\?|~?/)(?:[^\s'\"`/\\]+[/\\])+[^\s'\"`,;:)]*")


def scrub_paths(message) -> str:
    """A message for users with every server path replaced by «…»."""
    if message is None:
        return ""
    return _PATH.sub("«…»", str(message))


def _plain_plotly(value):
    if isinstance(value, str):
        return html(_html.unescape(value))      # idempotent: escaping twice changes nothing
    if isinstance(value, (list, tuple)) and value and all(
            isinstance(v, str) or v is None for v in value):
        return [html(_html.unescape(v)) if isinstance(v, str) else v for v in value]
    return value


def plotly_figure(fig):
    """Every user-facing text of a Plotly figure as text: title, axis and legend titles,
    trace names, hover texts and labels (Plotly reads <a>, <b>, <br> … in them)."""
    t = fig.layout.title.text
    if t:
        fig.layout.title.text = _plain_plotly(t)
    for trace in fig.data:
        for attr in ("name", "hovertext", "text"):
            if attr in trace and getattr(trace, attr) is not None:
                v = getattr(trace, attr)
                if hasattr(v, "tolist"):
                    v = v.tolist()
                setattr(trace, attr, _plain_plotly(v))
    return fig
