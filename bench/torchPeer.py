#!/usr/bin/env python3
"""The PyTorch peer of bench/model.ts: the project's architectures built layer for layer with the
same parameter counts (src/main/models/architectures), timed the same way: batch 32, train steps
with Adam on cross-entropy (dropout and batch norm in training mode), inference in eval mode
without autograd, on `--threads` CPU threads (2: this machine's cores). Each figure is the median
of `--repeats` runs after a warm-up. Prints one JSON object as the last line.

  /usr/bin/python3 bench/torchPeer.py [--archs zhongSlim,zhong2020,cxrResNet] [--steps 3]
  /usr/bin/python3 bench/torchPeer.py --counts     # parameter counts only, no timing

Parameter counts include batch norm's running mean and variance, as tfjs's countParams() counts
its moving statistics (not trainable, but weights of the model all the same).
Debian's python3-torch 1.13 (OpenBLAS); scripts/install.sh installs it.
"""
import argparse
import json
import statistics
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F

BATCH = 32


def zhong_widths(width):
    """zhongTrunk's filters: [32, 32], [64, 64], [128 x3], [128 x3], scaled by width (min 8)."""
    w = (lambda n: n) if width == 1 else (lambda n: max(8, round(n * width)))
    return [[w(32)] * 2, [w(64)] * 2, [w(128)] * 3, [w(128)] * 3]


class ZhongTrunk(nn.Module):
    """3x3 'same' ELU convs with bias, each block followed by 2x2 max pooling (valid, floor)."""

    def __init__(self, width):
        super().__init__()
        self.blocks = nn.ModuleList()
        cin = 3
        for convs in zhong_widths(width):
            layers = []
            for c in convs:
                layers += [nn.Conv2d(cin, c, 3, padding=1), nn.ELU()]
                cin = c
            self.blocks.append(nn.Sequential(*layers))
        self.channels = [b[-2].out_channels for b in self.blocks]

    def forward(self, x):
        pooled = []
        last = x
        for b in self.blocks:
            last = b(x)
            x = F.max_pool2d(last, 2)
            pooled.append(x)
        return pooled, last


def global_max(t):
    return torch.amax(t, dim=(2, 3))


class ZhongSlim(nn.Module):
    """zhongSlim(80, 0.5): multi-scale global max pools + GAP of the last conv -> 128 ELU -> 3."""

    def __init__(self, width=0.5):
        super().__init__()
        self.trunk = ZhongTrunk(width)
        features = sum(self.trunk.channels) + self.trunk.channels[-1]
        self.drop1 = nn.Dropout(0.3)
        self.fc1 = nn.Linear(features, 128)
        self.drop2 = nn.Dropout(0.3)
        self.out = nn.Linear(128, 3)

    def forward(self, x):
        pooled, last = self.trunk(x)
        h = torch.cat([global_max(p) for p in pooled] + [last.mean(dim=(2, 3))], 1)
        h = self.drop2(F.elu(self.fc1(self.drop1(h))))
        return self.out(h)


class Zhong2020(nn.Module):
    """zhong2020(80): multi-scale global max pools + the flattened last conv -> 4096 -> 2048 -> 3."""

    def __init__(self, input_size=80):
        super().__init__()
        self.trunk = ZhongTrunk(1)
        last = input_size // 8  # the last conv sees the map after three 2x2 pools
        features = sum(self.trunk.channels) + last * last * self.trunk.channels[-1]
        self.fc1 = nn.Linear(features, 4096)
        self.drop1 = nn.Dropout(0.5)
        self.fc2 = nn.Linear(4096, 2048)
        self.drop2 = nn.Dropout(0.4)
        self.out = nn.Linear(2048, 3)

    def forward(self, x):
        pooled, last = self.trunk(x)
        h = torch.cat([global_max(p) for p in pooled] + [torch.flatten(last, 1)], 1)
        h = self.drop1(F.elu(self.fc1(h)))
        h = self.drop2(F.elu(self.fc2(h)))
        return self.out(h)


def conv_bn(cin, cout, k, stride):
    # padding k // 2 gives 'same' sizes at stride 1 and TF's 'same' output size at stride 2 (TF pads
    # one more at the bottom/right there; the work is the same).
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, padding=k // 2, bias=False), nn.BatchNorm2d(cout, eps=1e-3, momentum=0.1))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.a = conv_bn(cin, cout, 3, stride)
        self.b = conv_bn(cout, cout, 3, 1)
        self.proj = conv_bn(cin, cout, 1, stride) if stride != 1 or cin != cout else None

    def forward(self, x):
        h = self.b(F.relu(self.a(x)))
        return F.relu(h + (self.proj(x) if self.proj is not None else x))


class CxrResNet(nn.Module):
    """cxrResNet(128): 5x5/2 stem 32 + BN + ReLU + 2x2 max pool, stages [32, 64, 128, 256] x 1 basic
    block (stride 2 from the second), GAP, dropout 0.2, dense 3. Gray 128x128 input."""

    def __init__(self, stem=32, widths=(32, 64, 128, 256), dropout=0.2):
        super().__init__()
        self.stem = conv_bn(1, stem, 5, 2)
        blocks = []
        cin = stem
        for s, w in enumerate(widths):
            blocks.append(BasicBlock(cin, w, 2 if s > 0 else 1))
            cin = w
        self.blocks = nn.Sequential(*blocks)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(cin, 3)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.stem(x)), 2)
        x = self.blocks(x)
        return self.out(self.drop(x.mean(dim=(2, 3))))


# name -> (build, input size, channels), as ARCHITECTURES in src/main/models/architectures/index.ts
ARCHITECTURES = {
    "zhongSlim": (lambda: ZhongSlim(0.5), 80, 3),
    "zhong2020": (lambda: Zhong2020(80), 80, 3),
    "cxrResNet": (lambda: CxrResNet(), 128, 1),
}


def count_params(model):
    """Weights as tfjs counts them: parameters plus batch norm's running mean and variance."""
    n = sum(p.numel() for p in model.parameters())
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n += m.running_mean.numel() + m.running_var.numel()
    return n


def median_rate(runs, f, images):
    f()  # warm-up: allocations and oneDNN primitive creation on first use
    rates = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        rates.append(images / (time.perf_counter() - t))
    return statistics.median(rates), rates


def measure(name, steps, repeats):
    build, size, channels = ARCHITECTURES[name]
    torch.manual_seed(1)
    model = build()
    x = torch.rand(BATCH, channels, size, size)
    y = torch.arange(BATCH) % 3
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)

    def train():
        model.train()
        for _ in range(steps):
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(x), y).backward()
            opt.step()

    def infer():
        model.eval()
        with torch.no_grad():
            for _ in range(steps * 2):
                model(x)

    train_rate, train_runs = median_rate(repeats, train, BATCH * steps)
    infer_rate, infer_runs = median_rate(repeats, infer, BATCH * steps * 2)
    r = lambda v: round(v, 1)
    return {
        "params": count_params(model),
        "trainImgPerS": r(train_rate),
        "inferImgPerS": r(infer_rate),
        "trainRuns": [r(v) for v in train_runs],
        "inferRuns": [r(v) for v in infer_runs],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--archs", default=",".join(ARCHITECTURES))
    ap.add_argument("--steps", type=int, default=3, help="batches per timed run (inference runs twice as many)")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per figure; the median is reported")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--counts", action="store_true", help="print parameter counts only")
    a = ap.parse_args()
    archs = [s for s in a.archs.split(",") if s]
    unknown = [s for s in archs if s not in ARCHITECTURES]
    if unknown:
        sys.exit(f"torchPeer.py: unknown architecture {', '.join(unknown)} (known: {', '.join(ARCHITECTURES)})")
    if a.counts:
        print(json.dumps({n: count_params(ARCHITECTURES[n][0]()) for n in archs}))
        return
    torch.set_num_threads(a.threads)
    out = {}
    for n in archs:
        print(f"torchPeer: {n}…", file=sys.stderr)
        out[n] = measure(n, a.steps, a.repeats)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "batch": BATCH, "steps": a.steps, "repeats": a.repeats, "arch": out}))


if __name__ == "__main__":
    main()
