"""Python that runs both at build time (CPython) and in the reader's browser (Pyodide).

Standard library only: the browser runtime has no numpy or pandas.
"""

from .views import HTML, escape, line_plot, table_html

__all__ = ["HTML", "escape", "line_plot", "table_html"]
