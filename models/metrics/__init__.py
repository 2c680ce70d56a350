"""Sample-quality metrics: KID on a pluggable feature network, SWD, memorisation."""
