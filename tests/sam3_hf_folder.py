"""Random-weight transformers SAM3 folders, saved as the real weights are (for the
sam3-hf tests and benchmarks/gpu_check.py): tiny for the CPU, or full size."""

from __future__ import annotations

import json
from pathlib import Path

SIZE = 56  # model input side: 4x4 patches of 14 pixels
TEXT_OBJECTS = 2  # detector queries; with threshold 0 every query is an object


def tiny_sam3_folder(root: Path) -> Path:
    """Save a tiny random-weight Sam3VideoModel + processor (and a small CLIP tokenizer)."""
    from transformers import Sam3VideoConfig

    vit = dict(model_type="sam3_vit_model", hidden_size=64, intermediate_size=64,
               num_hidden_layers=2, num_attention_heads=2, window_size=4, global_attn_indexes=[1],
               image_size=SIZE, patch_size=14, pretrain_image_size=28)
    small = dict(hidden_size=128, num_attention_heads=2, intermediate_size=64)
    detector = dict(
        vision_config=dict(backbone_config=vit, fpn_hidden_size=128),
        text_config=dict(vocab_size=64, hidden_size=64, intermediate_size=64, projection_dim=128,
                         num_hidden_layers=1, num_attention_heads=2, max_position_embeddings=32,
                         bos_token_id=0, eos_token_id=1, pad_token_id=1),
        geometry_encoder_config=dict(small, num_layers=1),
        detr_encoder_config=dict(small, num_layers=1),
        detr_decoder_config=dict(small, num_layers=1, num_queries=TEXT_OBJECTS),
        mask_decoder_config=dict(hidden_size=128, num_attention_heads=2),
    )
    # The tracker's memory attention reads 64-channel memories (fixed in transformers) and
    # splits 128-channel object pointers into two of them.
    tracker = dict(
        vision_config=dict(backbone_config=vit, fpn_hidden_size=128),
        prompt_encoder_config=dict(hidden_size=128, image_size=SIZE, patch_size=14,
                                   mask_input_channels=4),
        mask_decoder_config=dict(hidden_size=128, mlp_dim=64, num_attention_heads=2,
                                 iou_head_hidden_dim=128),
        memory_attention_hidden_size=128, memory_attention_num_layers=1,
        memory_attention_feed_forward_hidden_size=64, memory_encoder_hidden_size=128,
        mask_downsampler_embed_dim=128, memory_fuser_embed_dim=128,
        memory_fuser_intermediate_dim=64, num_maskmem=3, max_object_pointers_in_encoder=2)
    config = Sam3VideoConfig(detector_config=detector, tracker_config=tracker,
                             low_res_mask_size=4 * SIZE // 14, score_threshold_detection=0.0,
                             new_det_thresh=0.0, hotstart_delay=0)
    config.image_size = SIZE
    return save_random_sam3(root / "sam3-tiny", config, SIZE)


def full_sam3_folder(root: Path) -> Path:
    """Save a full-size random-weight Sam3VideoModel (the default config, 1008 px)."""
    from transformers import Sam3VideoConfig

    return save_random_sam3(root / "sam3-full", Sam3VideoConfig(), 1008)


def save_random_sam3(model_dir: Path, config: object, size: int) -> Path:
    """Save a random-weight Sam3VideoModel of ``config`` with a processor for ``size`` px
    inputs and a small CLIP tokenizer (a few words) into ``model_dir``.

    The tracker is made to call every object present, so that sessions see non-empty
    masks (random weights would mostly call objects absent).
    """
    import torch
    from transformers import (
        CLIPTokenizerFast,
        Sam2VideoVideoProcessor,
        Sam3ImageProcessor,
        Sam3VideoModel,
        Sam3VideoProcessor,
    )

    torch.manual_seed(0)
    model = Sam3VideoModel(config)
    score_head = model.tracker_model.mask_decoder.pred_obj_score_head.proj_out
    with torch.no_grad():
        score_head.weight.zero_()
        score_head.bias.fill_(10.0)
    model.save_pretrained(model_dir)
    vocab = {w: i for i, w in enumerate(["<|startoftext|>", "<|endoftext|>", "robot</w>",
                                         "and</w>", "cable</w>"])}
    for c in "abcdefghijklmnopqrstuvwxyz":
        vocab.setdefault(c, len(vocab))
        vocab.setdefault(c + "</w>", len(vocab))
    (model_dir / "vocab.json").write_text(json.dumps(vocab))
    (model_dir / "merges.txt").write_text("#version: 0.2\n")
    tokenizer = CLIPTokenizerFast(vocab_file=str(model_dir / "vocab.json"),
                                  merges_file=str(model_dir / "merges.txt"))
    mask_side = 4 * size // 14
    Sam3VideoProcessor(
        image_processor=Sam3ImageProcessor(size={"height": size, "width": size},
                                           mask_size={"height": mask_side, "width": mask_side}),
        video_processor=Sam2VideoVideoProcessor(size={"height": size, "width": size}),
        tokenizer=tokenizer,
    ).save_pretrained(model_dir)
    return model_dir


