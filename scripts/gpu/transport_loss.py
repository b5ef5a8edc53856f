"""A differentiable connectivity term for training: the steady diffusive flux through a block along each axis.

Voxels get a conductivity c in [eps, 1] (1 = pore). With the potential held at 1 on the inlet face and 0 on the
outlet face (half-voxel contacts, no flux through the sides) the flux Q is, by Dirichlet's principle, the minimum
over potentials u of the dissipated power  sum_faces g_f (u_i - u_j)^2  (g_f: harmonic mean of the two voxels'
conductivities). So once u* is solved for (conjugate gradients, no autograd through the iterations), the exact
gradient of Q is that of  sum_faces g_f(c) (u*_i - u*_j)^2  with u* held fixed (envelope theorem): one solve per
block and axis, no adjoint. Q * L / A is the relative effective diffusivity D_eff / D (1 for an all-pore block), so
the tortuosity factor of the TauFactor convention is porosity / (Q L / A).
"""
import torch


def _faces(c):
    """Harmonic-mean conductances of the interior faces along dims 1, 2, 3 and the inlet/outlet contacts (dim 1).
    c: [N, L, H, W]."""
    gs = []
    for d in (1, 2, 3):
        n = c.shape[d]
        a, b = c.narrow(d, 0, n - 1), c.narrow(d, 1, n - 1)
        gs.append(2 * a * b / (a + b))
    return gs, 2 * c[:, :1], 2 * c[:, -1:]


def _apply(u, gs, g0, g1):
    """The conductance matrix times u (the Dirichlet contacts folded into the diagonal). u: [N, L, H, W]."""
    Au = torch.zeros_like(u)
    for d, g in zip((1, 2, 3), gs):
        n = u.shape[d]
        f = g * (u.narrow(d, 0, n - 1) - u.narrow(d, 1, n - 1))
        Au.narrow(d, 0, n - 1).add_(f)
        Au.narrow(d, 1, n - 1).sub_(f)
    Au[:, :1] += g0 * u[:, :1]
    Au[:, -1:] += g1 * u[:, -1:]
    return Au


def solve_potential(c, iters=400, tol=1e-5):
    """u* for conductivity c [N, L, H, W] (flow along dim 1, u = 1 before the first layer, 0 after the last)."""
    with torch.no_grad():
        gs, g0, g1 = _faces(c)
        diag = torch.zeros_like(c)
        for d, g in zip((1, 2, 3), gs):
            n = c.shape[d]
            diag.narrow(d, 0, n - 1).add_(g)
            diag.narrow(d, 1, n - 1).add_(g)
        diag[:, :1] += g0
        diag[:, -1:] += g1
        rhs = torch.zeros_like(c)
        rhs[:, :1] = g0  # the inlet's potential 1 through the contact
        L = c.shape[1]
        u = torch.linspace(1 - 0.5 / L, 0.5 / L, L, dtype=c.dtype, device=c.device).view(1, L, 1, 1).expand_as(c).clone()
        r = rhs - _apply(u, gs, g0, g1)
        z = r / diag
        p = z.clone()
        rz = (r * z).sum(dim=(1, 2, 3), keepdim=True)
        r0 = rhs.flatten(1).norm(dim=1).clamp_min(1e-30)
        for _ in range(iters):
            Ap = _apply(p, gs, g0, g1)
            alpha = rz / (p * Ap).sum(dim=(1, 2, 3), keepdim=True).clamp_min(1e-30)
            u += alpha * p
            r -= alpha * Ap
            if (r.flatten(1).norm(dim=1) / r0).max() < tol:
                break
            z = r / diag
            rz_new = (r * z).sum(dim=(1, 2, 3), keepdim=True)
            p = z + (rz_new / rz.clamp_min(1e-30)) * p
            rz = rz_new
        return u


def flux(c, iters=400, tol=1e-5):
    """Flux Q [N] along dim 1 of c [N, L, H, W], differentiable in c (envelope gradient, see the module doc)."""
    u = solve_potential(c.detach(), iters, tol)
    gs, g0, g1 = _faces(c)
    q = 0
    for d, g in zip((1, 2, 3), gs):
        n = u.shape[d]
        q = q + (g * (u.narrow(d, 0, n - 1) - u.narrow(d, 1, n - 1)) ** 2).sum(dim=(1, 2, 3))
    return q + (g0 * (1 - u[:, :1]) ** 2).sum(dim=(1, 2, 3)) + (g1 * u[:, -1:] ** 2).sum(dim=(1, 2, 3))


def relative_diffusivity(c, axis, iters=400, tol=1e-5):
    """D_eff / D [N] of c [N, D, H, W] along spatial axis 1, 2 or 3 (z, y, x)."""
    cc = c.movedim(axis, 1)
    L, A = cc.shape[1], cc.shape[2] * cc.shape[3]
    return flux(cc, iters, tol) * L / A


def conductivity(pore_prob, eps=0.02, temperature=0.1):
    """Soft pore indicator -> conductivity: sharp around 1/2, where argmax decides, so throats that the labels would
    close carry little flow and get the gradient."""
    return eps + (1 - eps) * torch.sigmoid((pore_prob - 0.5) / temperature)


def hard_conductivity(pore, eps):
    """Labels -> conductivity: 1 in the pore (boolean mask), eps in the solid."""
    return eps + (1 - eps) * pore.float()


def quantile_loss(d, ref_sorted, offset=0.002):
    """1-D Wasserstein-2 distance in log(D + offset) between a batch's D_eff / D [N] and a target set's (sorted,
    [M]): the i-th smallest of the batch against the target's (i + 0.5) / N quantile, interpolated linearly between
    order statistics (numpy's 'hazen' quantile). Unlike a mean, it holds the mix of well and poorly connected
    blocks (train_torch.py --conn-statistic quantile)."""
    n, m = d.shape[0], ref_sorted.shape[0]
    pos = ((torch.arange(n, dtype=ref_sorted.dtype, device=ref_sorted.device) + 0.5) / n * m - 0.5).clamp(0, m - 1)
    lo = pos.floor().long()
    hi = (lo + 1).clamp(max=m - 1)
    q = ref_sorted[lo] + (pos - lo.to(pos.dtype)) * (ref_sorted[hi] - ref_sorted[lo])
    return ((torch.log(torch.sort(d).values + offset) - torch.log(q.to(d.device, d.dtype) + offset)) ** 2).mean()
