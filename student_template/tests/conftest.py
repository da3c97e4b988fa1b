"""Put the assignment folder (the parent of tests/) first on sys.path, so the
checks import `layers` exactly as the notebook does, from wherever pytest runs."""
import os
import sys

ASSIGNMENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ASSIGNMENT in sys.path:
    sys.path.remove(ASSIGNMENT)
sys.path.insert(0, ASSIGNMENT)
