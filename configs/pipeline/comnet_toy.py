# The whole chain on the embedded toy dataset with COMNet's CAM network.
_base_ = ['./baseline_toy.py']
cam = dict(config='configs/comnet/comnet_toy.py')
