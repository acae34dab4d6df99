/*
 * preSavePage hook of "Paid shop orders": each order gets `channel` ("wholesale" when the
 * customer carries the B2B tag, "retail" otherwise), which the flow's router branches on.
 */
function preSavePage(options) {
  const data = options.data.map((order) => {
    const tags = ((order.customer && order.customer.tags) || "").split(",").map((tag) => tag.trim());
    return Object.assign({}, order, { channel: tags.includes("b2b") ? "wholesale" : "retail" });
  });
  return { data, errors: options.errors, abort: false };
}
