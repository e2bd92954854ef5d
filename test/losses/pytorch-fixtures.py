# Generates the hard-coded values in pytorch-fixtures.test.ts: /usr/bin/python3 test/losses/pytorch-fixtures.py
import torch, math
torch.set_printoptions(precision=17)
x = torch.tensor([[0.5,-1.2,0.3],[1.1,0.4,-0.7],[-0.2,0.9,1.5],[0.8,0.8,-0.1]], dtype=torch.float64, requires_grad=True)
W = torch.tensor([[0.3,0.1,-0.5],[-0.6,0.7,0.2],[0.4,-0.3,0.9]], dtype=torch.float64, requires_grad=True)
y = torch.tensor([2,0,1,1])
F = torch.nn.functional
def cos():
    return F.linear(F.normalize(x), F.normalize(W)).clamp(-1,1)
def report(name, loss):
    gx, gw = torch.autograd.grad(loss, [x, W])
    print(name, repr(loss.item()), [round(v, 12) for v in gx.flatten().tolist()[:6]], [round(v, 12) for v in gw.flatten().tolist()[:3]])
# ArcFace (insightface-style with threshold)
s, m = 8.0, 0.5
c = cos(); sin = (1-c*c).clamp(1e-12,1).sqrt(); phi = c*math.cos(m) - sin*math.sin(m)
phi = torch.where(c > math.cos(math.pi-m), phi, c - math.sin(math.pi-m)*m)
oh = F.one_hot(y, 3).bool()
report("arcface", F.cross_entropy(torch.where(oh, phi, c)*s, y))
# CosFace
c = cos(); report("cosface", F.cross_entropy((c - oh.double()*0.35)*s, y))
# SphereFace original (clcarwin-style): cos_m_theta via 8c^4-8c^2+1, k = floor(m*acos(c)/pi)
c = cos(); lam = 5.0
cm = 8*c**4 - 8*c**2 + 1
theta = c.detach().acos(); k = (4*theta/math.pi).floor()
phi = ((-1)**k)*cm - 2*k
xlen = x.norm(dim=1, keepdim=True)
target = (lam*c + phi)/(1+lam)
report("sphereface", F.cross_entropy(torch.where(oh, target, c)*xlen, y))
# NT-Xent (lightly-style definition)
z1 = x; z2 = torch.tensor([[0.1,0.2,0.3],[-1,0.5,0.2],[0.3,0.3,-0.9],[1.0,-0.4,0.6]], dtype=torch.float64)
z = F.normalize(torch.cat([z1,z2]))
sim = z@z.t()/0.3
sim = sim.masked_fill(torch.eye(8, dtype=torch.bool), float('-inf'))
t = torch.cat([torch.arange(4)+4, torch.arange(4)])
loss = F.cross_entropy(sim, t)
gx, = torch.autograd.grad(loss, [x]); print("ntxent", repr(loss.item()), [round(v,12) for v in gx.flatten().tolist()[:6]])
