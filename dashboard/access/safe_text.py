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
