"""The two-point correlation S2 of training blocks and a term matching its shape (train_torch.py --s2-weight); the
interface area of soft fields (--surface-weight); the per-slice phase change rate along depth (--depth-weight)."""
import torch


def s2_axis(ind, axis_dim, lags=20):
    """Non-periodic S2(r) of a field [N, D, H, W] (an indicator or soft probabilities) along one spatial dim (1..3),
    r = 0..lags, set mean over all pairs the blocks hold: [lags + 1]. The SDK's twoPoint() counts the same pairs."""
    out = []
    n = ind.shape[axis_dim]
    for r in range(min(lags, n - 1) + 1):
        a = ind.narrow(axis_dim, 0, n - r)
        b = ind.narrow(axis_dim, r, n - r)
        out.append((a * b).mean())
    return torch.stack(out)


def normalised_s2(field, axis_dim, lags=20):
    """f(r) = (S2(r) - phi^2) / (phi - phi^2), r = 1..lags: the correlation's shape, 1 at r = 0, 0 when uncorrelated."""
    phi = field.mean()
    return (s2_axis(field, axis_dim, lags)[1:] - phi ** 2) / (phi - phi ** 2)


def correlation_loss(gen, real, lags=20, scale=0.05):
    """Mean over the three axes and lags 1..lags of ((f_gen - f_real) / scale)^2 for the batch's pore fields
    [N, D, H, W]. Normalised, because paired blocks differ in porosity (64^3 Berea blocks by +-0.04) and raw S2 would
    mostly match that noise. On soft probabilities it also rewards confident voxels (a soft field correlates less)."""
    return torch.cat([((normalised_s2(gen, d, lags) - normalised_s2(real, d, lags)) / scale) ** 2 for d in (1, 2, 3)]).mean()


def soft_surface(field):
    """Interface faces per voxel of a field [N, D, H, W]: sum over neighbour pairs of |p_i - p_j| / voxels, the SDK's
    face count for labels (one-hot), a total-variation proxy for probabilities."""
    f = 0
    for d in (1, 2, 3):
        n = field.shape[d]
        f = f + (field.narrow(d, 0, n - 1) - field.narrow(d, 1, n - 1)).abs().sum()
    return f / field.numel()


def depth_change(pore, sharp=0.05):
    """Per-slice phase change rate along depth of pore probabilities [N, D, H, W]: for z = 0..D-2 the expected
    fraction of voxels whose phase differs between slices z and z + 1, probabilities sharpened with temperature
    `sharp` (sigmoid of the log-odds / sharp, what the fraction term does) so that it is what argmax gives: [D - 1].
    On 0/1 labels it is the count of changed voxels."""
    q = torch.sigmoid(torch.log((pore + 1e-7) / (1 - pore + 1e-7)) / sharp)
    return (q[:, 1:] * (1 - q[:, :-1]) + q[:, :-1] * (1 - q[:, 1:])).mean(dim=(0, 2, 3))


def depth_change_loss(pore, real_pore, sharp=0.05):
    """Depth homogeneity (train_torch.py --depth-weight): depth_change of the generated pore probabilities at every
    z against the real blocks' (0/1 labels [N, D', H, W]) mean rate over all z, in log. The rock is the same at every
    depth; a chained generator is not unless told: with the connectivity term on the chain alone, the last slices
    of each depth block turned into a flickering band (15-22 % of voxels changing per slice against the rock's
    3-4 %) that connected laterally (session 10)."""
    target = (real_pore[:, 1:] != real_pore[:, :-1]).to(pore.dtype).mean()
    return ((torch.log(depth_change(pore, sharp) + 0.01) - torch.log(target + 0.01)) ** 2).mean()
