// Remix's single-fetch types: loaders return plain objects or `data()`, and useLoaderData infers them.
import "@remix-run/node";

declare module "@remix-run/node" {
  interface Future {
    v3_singleFetch: true;
  }
}
