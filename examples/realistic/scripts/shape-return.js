/*
 * preMap hook of "Create the NetSuite return authorization": one record per returned line,
 * with the reason code NetSuite expects.
 */
function preMap(options) {
  return options.data.map((event) => {
    const reason = { damaged: 1, wrong_item: 2, not_needed: 3 }[event.reason] || 3;
    return { data: Object.assign({}, event, { reasonCode: reason }) };
  });
}
