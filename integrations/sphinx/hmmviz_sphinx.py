"""Sphinx extension: the ``.. hmmviz::`` directive embeds hmmviz (an iframe in embed mode) in a page.

MIT OR Apache-2.0, like hmmviz. In ``conf.py``::

    extensions = ["hmmviz_sphinx"]
    hmmviz_url = "/hmmviz/"          # where hmmviz's dist/ is served (a path or a full URL)

In a page::

    .. hmmviz::
       :pages: PPPPSSSS
       :step: 40
       :lanes: A,U
       :height: 450

Options: ``pages`` (a scenario) with ``step``, or ``lesson`` (a lesson id) with ``beat`` (1 is its first
beat, as in the lesson page's links), ``lanes`` (A, B, U), ``view``
(compare, deep), ``controls`` (none, compact, full), ``theme`` (light, dark, system), ``height`` (pixels; by
default the frame is 16:9 of the text width). HTML builders get the frame; other builders (LaTeX, text) get
a paragraph with the link, since a printed page cannot run it. docs/embedding.md has the URL parameters.
"""

from urllib.parse import quote

from docutils import nodes
from docutils.parsers.rst import Directive, directives

__version__ = "1.0"

CHOICES = {
    "view": ("compare", "deep"),
    "controls": ("none", "compact", "full"),
    "theme": ("light", "dark", "system"),
}


def _choice(name):
    return lambda value: directives.choice(value, CHOICES[name])


def _lanes(value):
    letters = [part.strip().upper() for part in (value or "").split(",") if part.strip()]
    if not letters or any(letter not in ("A", "B", "U") for letter in letters):
        raise ValueError("lanes are A, B and U, comma-separated (for example A,U)")
    return ",".join(letters)


class HmmvizDirective(Directive):
    has_content = False
    option_spec = {
        "pages": directives.unchanged_required,
        "lesson": directives.unchanged_required,
        "step": directives.nonnegative_int,
        "beat": directives.positive_int,
        "lanes": _lanes,
        "view": _choice("view"),
        "controls": _choice("controls"),
        "theme": _choice("theme"),
        "height": directives.positive_int,
    }

    def run(self):
        options = self.options
        if ("pages" in options) == ("lesson" in options):
            raise self.error("hmmviz: give exactly one of :pages: (a scenario) or :lesson: (a lesson id)")
        if "lesson" in options and "step" in options:
            raise self.error("hmmviz: a lesson moves by beats: use :beat: (1 is the first beat), not :step:")
        if "pages" in options and "beat" in options:
            raise self.error("hmmviz: :beat: goes with :lesson:; a scenario takes :step:")
        config = self.state.document.settings.env.config
        params = [("v", "1")]
        if "pages" in options:
            params.append(("pages", options["pages"]))
        else:
            params.append(("lesson", options["lesson"]))
        for key in ("view", "step", "beat", "lanes", "controls", "theme"):
            if key in options:
                params.append((key, str(options[key])))
        params.append(("embed", "1"))
        query = "&".join(f"{key}={quote(value, safe='*,')}" for key, value in params)
        src = f"{config.hmmviz_url}?{query}"
        size = f"height: {options['height']}px" if "height" in options else "aspect-ratio: 16 / 9"
        title = f"hmmviz: {options.get('pages') or options.get('lesson')}"
        frame = (
            f'<iframe class="hmmviz" src="{_attr(src)}" title="{_attr(title)}" loading="lazy" '
            f'style="width: 100%; {size}; border: 0" allowfullscreen></iframe>'
        )
        html = nodes.raw("", frame, format="html")
        # Builders without HTML: a sentence with the link instead of a frame they cannot show.
        fallback = nodes.paragraph()
        fallback += nodes.Text("An interactive hmmviz view: ")
        fallback += nodes.reference(src, src, refuri=src)
        only = _only_not_html(fallback)
        return [html, only]


def _only_not_html(node):
    from sphinx import addnodes

    only = addnodes.only(expr="not html")
    only += node
    return only


def _attr(text):
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def setup(app):
    app.add_config_value("hmmviz_url", "hmmviz/", "html")
    app.add_directive("hmmviz", HmmvizDirective)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
