import os
import sys

# Share tests/python's helpers (RSS measurement) when this directory runs alone.
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
