"""DataLoader batch viewer: how a loader cuts an epoch into batches."""

from ml101.ui.layout import page_header
from ml101.ui.views import data

page_header(
    "DataLoader batch viewer",
    "Pick a dataset and a batch size: each cell is one sample, coloured by the batch it "
    "lands in, epoch after epoch.  \nPress Play or Step to walk through the batches and see "
    "each one among the data, collated into tensors.",
)
loader = data.stage()  # the index map and the batch beside the controls that move them
data.batch_count(loader)  # len(loader) and the short last batch
data.collated(loader)  # what default_collate makes of the current batch
data.what_is_going_on()
data.split(loader)  # random_split: train and validation
data.workers()  # num_workers and pin_memory
data.code(loader)  # Show the code: it prints the current batch
data.play(loader)  # fills the parts above that follow the current batch, tick after tick
