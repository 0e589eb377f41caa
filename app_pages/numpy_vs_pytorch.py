"""NumPy vs PyTorch: the lesson-4 network by hand and its PyTorch twin, to the same numbers."""

from ml101.ui.layout import page_header
from ml101.ui.views import twin as twin_view

page_header(
    "NumPy vs PyTorch",
    "The from-scratch NumPy network of lesson 4 and its PyTorch twin start from the same "
    "weights and train side by side.  \nWatch their losses overlap (to about 15 digits in "
    "float64), see whether this seed solves the data, and check every gradient by hand.",
)
shown = twin_view.stage_section()
twin_view.tabs_section(shown)
twin_view.code_section(shown)
