"""COCO 2014 instances JSON -> VOC-style masks and split lists, in the
layout of configs/_base_/datasets/coco14_cam.py:

    python tools/dataset_converters/coco_instances_to_masks.py data/coco2014

reads <root>/annotations/instances_{train,val}2014.json and writes
<root>/SegmentationClass/{train,val}2014/*.png and
<root>/ImageSets/{train,val}.txt (rules: comnet_mm/datasets/coco_masks.py).
"""
import argparse
import os.path as osp

from comnet_mm.datasets.coco_masks import convert_split


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'root',
        help='COCO 2014 folder (annotations/, '
        'train2014/, val2014/)')
    parser.add_argument('--splits', nargs='+', default=['train', 'val'])
    args = parser.parse_args()
    for split in args.splits:
        tagged = convert_split(
            osp.join(args.root, 'annotations', f'instances_{split}2014.json'),
            osp.join(args.root, 'SegmentationClass', f'{split}2014'),
            osp.join(args.root, 'ImageSets', f'{split}.txt'))
        print(f'{split}: {len(tagged)} images with tags')


if __name__ == '__main__':
    main()
