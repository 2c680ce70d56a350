"""Sample-quality metrics: KID and FID on a pluggable feature network, SWD, memorisation."""
