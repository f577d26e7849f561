"""Python that runs both at build time (CPython) and in the reader's browser (Pyodide).

Standard library only: the browser runtime has no numpy or pandas.
"""

import sys

from .views import HTML, escape, line_plot, table_html

IN_BROWSER = sys.platform == "emscripten"

__all__ = ["HTML", "IN_BROWSER", "escape", "line_plot", "table_html"]
