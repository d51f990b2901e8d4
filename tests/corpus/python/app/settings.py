import os


class Settings:
    rates_url = os.environ.get("RATES_URL", "https://rates.internal/v1")
    ca_bundle = os.getenv("CA_BUNDLE", "/etc/ssl/corp-ca.pem")


settings = Settings()
