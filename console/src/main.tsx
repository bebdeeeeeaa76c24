import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Auth } from './auth';
import { App } from './components/App';
import { loadConfig } from './config';
import './styles.css';

const root = createRoot(document.getElementById('root')!);
loadConfig().then(
  (config) =>
    root.render(
      <StrictMode>
        <App auth={new Auth(config)} />
      </StrictMode>,
    ),
  (e: Error) => root.render(<p role="alert">{e.message}</p>),
);
