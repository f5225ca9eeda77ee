# The origin image. Base images are build arguments: the public .NET images by default; CI passes local stand-ins
# (docker/make-standin-images.sh) because no image registry is reachable there.
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0

FROM ${SDK_IMAGE} AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/GrpcStream.Origin/GrpcStream.Origin.csproj -c Release -o /app -p:UseAppHost=false

FROM ${RUNTIME_IMAGE}
WORKDIR /app
COPY --from=build /app .
# Configuration comes from environment variables only (see README); the aspnet image's HTTP_PORTS must not
# add a listener of its own.
ENV ASPNETCORE_HTTP_PORTS= \
    DOTNET_NOLOGO=1 \
    Origin__CacheDirectory=/var/cache/grpcstream
# Converted frames are kept here, once per source version: the media root is mounted read-only. A named volume
# keeps them across restarts and image updates (compose mounts one).
RUN mkdir -p /var/cache/grpcstream && chown 1654 /var/cache/grpcstream
VOLUME /var/cache/grpcstream
EXPOSE 50051 8081
USER 1654
HEALTHCHECK --interval=5s --timeout=4s --start-period=30s --retries=3 CMD ["dotnet", "/app/GrpcStream.Origin.dll", "healthcheck"]
ENTRYPOINT ["dotnet", "/app/GrpcStream.Origin.dll"]
