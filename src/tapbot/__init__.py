"""tapbot: robot-driven smartphone quality testing.

See ``shared/DESIGN.md`` for the layers; the digital twin (``tapbot.sim``) is the default rig.
"""

__version__ = "0.1.0"
