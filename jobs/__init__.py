"""The jobs that drive the recommender: refresh, score, send; and the CLI around them."""
