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
with sweep:  # always drawn: its settings (threads, dtype, seed, budget) serve every tab
    settings = view.sweep_tab()
sections = ((naive, view.naive_tab, (settings,)), (roofline, view.roofline_tab, (settings,)),
            (recorded, view.recorded_tab, ()))
for tab, render, args in sections:
    if tab.open is not False:  # only the open tab runs: a rerun stays fast
        with tab:
            render(*args)
