"""Figures without a global matplotlib backend.

Every figure of the flow is drawn with matplotlib's object-oriented API on its own Agg canvas, so
importing or calling a plotting function never selects a backend or touches pyplot's global state
(a library that calls ``matplotlib.use()`` breaks the caller's own figures).
"""

__all__ = ["new_figure"]


def new_figure(**kwargs):
    """A :class:`matplotlib.figure.Figure` (``kwargs``: ``figsize``, ``layout`` ...) on an Agg canvas;
    save it with :func:`neuroxide.fileio.save_figure`."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(**kwargs)
    FigureCanvasAgg(fig)
    return fig
