"""The S-curve family: gradient descent on L = ½‖T − T̃‖², T and T̃ sums of outer products.

    config.py    SCurveConfig, the valid choices, the memory estimate, the teeth perturbation
    model.py     sampling, Gram-form gradients, the accurate loss
    train.py     the batched trainer (`python -m reproduce train data/configs/<stem>.toml`)
    theory.py    closed forms and gradient-flow ODEs the figures overlay
    baseline.py  the obvious dense implementation `make bench` times the trainer against
    measure.py   derived measurements: drop steps, growth rates, norm decay, bumps, the thread's pair
    causes.py    the controls of the thread's predicates (figT1–figT3)
    verdicts.py  the predicates as verdicts on one setting (figT4, figT5)
"""
