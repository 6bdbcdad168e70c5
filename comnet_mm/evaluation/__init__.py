from .cam_metric import CAMIoUMetric, cams_to_labels

__all__ = ['CAMIoUMetric', 'cams_to_labels']
