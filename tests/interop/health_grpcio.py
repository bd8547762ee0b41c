"""Asks a gRPC health server with grpcio-health-checking (gRPC's own Python implementation of
grpc.health.v1) and prints what it answered, one line per message.

Usage:
  health_grpcio.py ADDR check SERVICE        -- one Check: the status, or the error code
  health_grpcio.py ADDR watch SERVICE COUNT  -- the first COUNT messages of a Watch, each as it comes
"""

import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def main(address: str, method: str, service: str, count: str = "1") -> int:
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        request = health_pb2.HealthCheckRequest(service=service)
        try:
            if method == "check":
                response = stub.Check(request, timeout=5)
                print(health_pb2.HealthCheckResponse.ServingStatus.Name(response.status), flush=True)
            else:
                for index, response in enumerate(stub.Watch(request, timeout=30)):
                    print(health_pb2.HealthCheckResponse.ServingStatus.Name(response.status), flush=True)
                    if index + 1 >= int(count):
                        break
        except grpc.RpcError as error:
            print(error.code().name, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
