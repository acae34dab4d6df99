/*
 * preMap hook for the Slack import: turns each GitHub issue record into a Slack message.
 * The flow's `settings.channel` names the channel.
 */
function preMap(options) {
  const channel = options.settings.flow.channel || "#engineering";
  return options.data.map((record) => {
    const issue = record.issue || {};
    const author = record.authorName || (issue.user && issue.user.login) || "someone";
    return {
      data: {
        channel,
        text: `*${issue.title}* (#${issue.number}) opened by ${author}\n${issue.html_url}`,
      },
    };
  });
}
