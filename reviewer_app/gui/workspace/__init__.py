"""The reviewer's workspace: evidence viewers beside the rubric, notes, and saving."""
