"""CPU vs GPU benchmark: the lesson's GPU timing, done right."""

from ml101.ui.layout import page_header
from ml101.ui.views import bench as view

page_header(
    "CPU vs GPU benchmark",
    "Time a matrix multiply and friends the right way (warm-up, many runs, the median) and "
    "see how close the hardware gets to its peak.  \nThe picture starts from a recorded run; "
    "**Run sweep** measures this server live, a few seconds at most, one learner at a time.",
)
view.machine_line()
sweep, naive, roofline, recorded = view.tabs()
with sweep:
    settings = view.sweep_tab()
with naive:
    view.naive_tab(settings)
with roofline:
    view.roofline_tab(settings)
with recorded:
    view.recorded_tab()
