import sys

# The same files run on pyfacade (cp314 build) and on CPython 3.13 (cp313 build).
IS_FACADE = "_pyfacade" in sys.modules
