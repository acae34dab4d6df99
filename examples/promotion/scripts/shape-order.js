/*
 * preMap hook of the ERP import: one sales order per shop order, one line per item.
 */
function preMap(options) {
  return options.data.map((order) => ({
    data: {
      externalId: `shop-${order.id}`,
      customer: order.customer && order.customer.email,
      lines: (order.line_items || []).map((item) => ({
        sku: item.sku,
        quantity: item.quantity,
        price: item.price,
      })),
    },
  }));
}
