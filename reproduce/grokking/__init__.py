"""The grokking family: modular addition with a one-layer transformer (Nanda et al. 2023).

    config.py    GrokConfig and STUDY, the study's stem
    model.py     the transformer and the data split
    train.py     full-batch AdamW, the recorded metrics (`python -m reproduce train data/configs/figG_grokking.toml`)
    fourier.py   the Fourier basis and progress measures
    phases.py    the phases of a run and the eval its key frequencies are read at
    measure.py   key frequencies, per-frequency bumps, shares, competitors, completeness, counts over seeds
    probe.py     the causal probe (`python -m reproduce.grokking.probe`)
    bench.py     the trainer's speed (`python -m reproduce.grokking.bench`, part of `make bench`)
"""
