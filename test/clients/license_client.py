"""The reference's Python client example ("Client Integration Examples"), runnable.

The LicenseClient class is the reference's, unchanged except for the `import socket` it uses without
importing. `main` activates a license and validates the activation against the base URL given as the
first argument, and prints both answers as JSON:

    python3 license_client.py http://localhost:8080 [LICENSE_KEY] [HARDWARE_ID]

The class sends no X-API-Key header, while the server requires one on /api/v1/*. When the environment
variable LICENSE_API_KEY is set, every requests session gets the header (see `send_api_key`), so the
class itself stays exactly as clients copied it.
"""
import requests
import json
import socket

# For the runner below, not used by the class.
import os
import sys


class LicenseClient:
    def __init__(self, base_url):
        self.base_url = base_url

    def activate(self, license_key, hardware_id):
        response = requests.post(
            f"{self.base_url}/api/v1/activate",
            json={
                "license_key": license_key,
                "hardware_id": hardware_id,
                "machine_name": socket.gethostname(),
                "app_version": "1.0.0"
            }
        )
        return response.json()

    def validate(self, license_key, activation_id, hardware_id):
        response = requests.post(
            f"{self.base_url}/api/v1/validate",
            json={
                "license_key": license_key,
                "activation_id": activation_id,
                "hardware_id": hardware_id,
                "app_version": "1.0.0"
            }
        )
        return response.json()


def send_api_key(api_key):
    """Adds X-API-Key to every session requests opens (requests.post opens one per call)."""
    base = requests.sessions.Session

    class SessionWithApiKey(base):
        def __init__(self):
            super().__init__()
            self.headers["X-API-Key"] = api_key

    requests.sessions.Session = SessionWithApiKey


def main(argv):
    if len(argv) < 2:
        print("usage: license_client.py BASE_URL [LICENSE_KEY] [HARDWARE_ID]", file=sys.stderr)
        return 2
    base_url = argv[1]
    license_key = argv[2] if len(argv) > 2 else "TEST-TEST-TEST-TEST"
    hardware_id = argv[3] if len(argv) > 3 else "python-client-" + socket.gethostname()
    api_key = os.environ.get("LICENSE_API_KEY")
    if api_key:
        send_api_key(api_key)

    client = LicenseClient(base_url)
    activation = client.activate(license_key, hardware_id)
    validation = None
    if activation.get("success"):
        validation = client.validate(license_key, activation["activation_id"], hardware_id)
    print(json.dumps({"activation": activation, "validation": validation}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
