# syntax=docker/dockerfile:1
# Build (no mvn package needed first: the build stage runs Maven): docker build -t <registry>/leakguard:0.1.0 .

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml ./
COPY src ./src
# The cache mount keeps ~/.m2 between builds without putting it in any image layer.
# The command is the README's build command; a test keeps the two equal.
RUN --mount=type=cache,target=/root/.m2 mvn -B package -DskipTests

FROM eclipse-temurin:17-jre AS runtime
COPY --from=build /src/target/leakguard.jar /app/leakguard.jar
# Numeric, so Kubernetes can verify runAsNonRoot without reading /etc/passwd.
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["java", "-jar", "/app/leakguard.jar"]
CMD ["run"]
