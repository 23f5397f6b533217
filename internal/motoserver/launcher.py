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
    pass


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: launcher.py PORT")
    port = sys.argv[1]
    install_extensions()
    from moto.server import main as moto_main
    moto_main(["-H", "127.0.0.1", "-p", port])


if __name__ == "__main__":
    main()
