# An example Sphinx project embedding hmmviz with the `.. hmmviz::` directive (integrations/sphinx).
import os
import sys

sys.path.insert(0, os.path.abspath(".."))

project = "hmmviz in Sphinx"
extensions = ["hmmviz_sphinx"]
# Where hmmviz's dist/ is served; override with `sphinx-build -D hmmviz_url=...`.
hmmviz_url = "/hmmviz/"
html_theme = "alabaster"
html_favicon = None
