/** How an instance takes part in the tab protocol: it answers queries, takes peers' tokens, and follows their logouts and outages. */
import type { Channel } from './channel.js';
import type { Observable } from './observable.js';
import type { Refresher } from './refresh.js';
import type { Session } from './session.js';

export function joinTabs(channel: Channel, session: Session, refresher: Refresher, observable: Observable): () => void {
  return channel.listen((message) => {
    observable.emit({ type: 'tab:message', kind: message.t });
    switch (message.t) {
      case 'query': {
        const token = session.token();
        channel.post(token ? { t: 'answer', id: message.id, token } : { t: 'answer', id: message.id });
        break;
      }
      case 'answer':
      case 'token':
        if (message.token) session.offer(message.token);
        break;
      case 'login':
        // Whatever this tab held or when it ended: a login after it is a new session for every tab.
        if (session.token()?.accessToken !== message.token.accessToken) session.login(message.token);
        break;
      case 'end':
        if (observable.get().status !== 'anonymous') session.end('remote');
        break;
      case 'outage':
        refresher.heardOutage(message.until);
        break;
      default:
        break; // claim, release, bye: the lock's and the channel's business
    }
  });
}
