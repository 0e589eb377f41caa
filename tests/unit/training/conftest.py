"""The trainer's tests run under the app's own thread policy (`runtime.configure`: one
intra-op thread). The networks are tiny, and on a busy machine a second OpenMP thread
makes an epoch some 30 times slower."""

from ml101 import runtime

runtime.configure()
