package dev.leakguard.demo;

/**
 * One kind of request as RBAC sees it: {@code verb} is the RBAC verb (get, list, watch, create,
 * update, patch, delete, deletecollection), {@code apiGroup} is "" for the core group. A request
 * to a non-resource URL (discovery, /version) has the lower-case HTTP method as verb, apiGroup ""
 * and the path (starting with "/") as resource, like RBAC's nonResourceURLs.
 */
public record ApiCall(String verb, String apiGroup, String resource, String subresource) {
    @Override
    public String toString() {
        String group = apiGroup.isEmpty() ? "core" : apiGroup;
        return verb + " " + group + "/" + resource + (subresource.isEmpty() ? "" : "/" + subresource);
    }
}
