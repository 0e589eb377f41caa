"""ML101 Explorables core: pure PyTorch/NumPy logic, never Streamlit."""
