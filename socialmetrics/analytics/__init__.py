"""Analytics the models call: campaign impact and the offline comment model."""
