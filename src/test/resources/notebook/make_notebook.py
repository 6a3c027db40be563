"""Writes padim-layer3/, a small notebook export for dev.kensa.cli.BundleImportTest, with NumPy itself.

A PaDiM model on ResNet-18 layer3 alone (a 14x14 grid, 196 positions) keeping d=3 of its 256 channels, saved as a
notebook saves one (README, "From a notebook to the box"): mean [P, d] float32, cov [P, d, d] float64 (regularised
with 0.01 I), idx [d] int64 (deliberately not ascending), and the fixed-pipeline JSON of issue 13. The values are
synthetic, not fitted: the tests check what the importer accepts and refuses, not what it detects.
Regenerate with `python3 make_notebook.py` in this folder (byte-identical output).
"""
import json
import os

import numpy as np

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "padim-layer3")
os.makedirs(os.path.join(out, "padim"), exist_ok=True)
rng = np.random.default_rng(13)
P, d = 14 * 14, 3
mean = rng.normal(0.5, 0.2, size=(P, d)).astype(np.float32)
a = rng.normal(0.0, 0.3, size=(P, d, d))
cov = a @ a.transpose(0, 2, 1) + 0.01 * np.eye(d)
idx = np.array([200, 5, 100], dtype=np.int64)
np.save(os.path.join(out, "padim", "mean.npy"), mean)
np.save(os.path.join(out, "padim", "cov.npy"), cov)
np.save(os.path.join(out, "padim", "idx.npy"), idx)
fixed = {
    "common": {"image_size": 256, "seeds": [0, 1, 2]},
    "threshold": {"image_fpr_target": 0.01, "value": 21.3, "source": "dev_carpet_test"},
    "padim": {"layers": ["layer3"], "channel_subsample": d},
}
with open(os.path.join(out, "fixed_pipeline.json"), "w") as f:
    json.dump(fixed, f, indent=2)
    f.write("\n")
