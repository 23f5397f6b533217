"""Start moto_server for lookout's tests, with the AWS APIs moto 5.2.1 lacks added in.

Usage: python3 launcher.py PORT

moto is the AWS emulator lookout's integration tests run against. Where moto lacks an API that
lookout reads (see shared/notes/moto.md), it is added here, on moto's own backends, so that the
Go SDK still makes the real call over HTTP. Keep each extension small and faithful to the AWS
API reference.
"""
import sys


def install_extensions():
    """Register lookout's extensions on moto's backends. Each returns quietly if moto grows
    the API itself."""
    # Extensions (SSM DescribeInstanceInformation, associations, ...) are added here.
    install_sns_pending_confirmation()


def install_sns_pending_confirmation():
    """moto confirms every SNS subscription at once. AWS keeps an email, email-json, http or
    https subscription "PendingConfirmation" until its endpoint confirms, so an endpoint that
    can never receive the confirmation stays pending forever. Model that for endpoints in the
    reserved .invalid top-level domain (RFC 2606): nothing there can ever confirm, in AWS or
    here. Every other endpoint keeps moto's behaviour (confirmed at once)."""
    from urllib.parse import urlparse
    from moto.sns import models

    def unreachable(protocol, endpoint):
        if protocol in ("email", "email-json"):
            host = endpoint.rpartition("@")[2]
        elif protocol in ("http", "https"):
            host = urlparse(endpoint).hostname or ""
        else:
            return False
        return host.lower().rstrip(".").endswith(".invalid")

    original = models.SNSBackend.subscribe

    def subscribe(self, topic_arn, endpoint, protocol):
        sub = original(self, topic_arn, endpoint, protocol)
        if unreachable(protocol, endpoint):
            sub.confirmed = False
            # The serializer prefers subscription_arn over arn for SubscriptionArn.
            sub.subscription_arn = "PendingConfirmation"
            sub.attributes["PendingConfirmation"] = "true"
        return sub

    models.SNSBackend.subscribe = subscribe


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: launcher.py PORT")
    port = sys.argv[1]
    install_extensions()
    from moto.server import main as moto_main
    moto_main(["-H", "127.0.0.1", "-p", port])


if __name__ == "__main__":
    main()
