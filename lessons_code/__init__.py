"""Code behind the Machine Learning for Physics course.

Subpackages and modules
-----------------------
config
    Fast mode and run-time settings shared by every page.
plotting
    The one plotting style of the course.
data
    Simulated datasets: generation, detector model, storage and loading.
"""

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
