"""Home: the lesson map."""

from ml101.ui.layout import page_header
from ml101.ui.views import home

page_header(
    "PyTorch Basics, explorable",
    "Every idea of the lesson as something you can touch: move a slider, press a button, "
    "and real PyTorch answers.  \nFollow the pages in order, or jump to the one you need.",
)
home.lesson_map()
