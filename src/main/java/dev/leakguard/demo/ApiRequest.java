package dev.leakguard.demo;

/** One request in arrival order: what it was and which object it named ({@code name} is null for collections). */
public record ApiRequest(ApiCall call, String namespace, String name) {
}
