// The wallet half of the composition root (app.ts), in a module of its own that app.ts imports only where the config
// turns wallets or wallet-minted keys on: a server without them never loads viem, @x402, siwe and ethers (about 700
// modules, a third of what a start loaded).
export { billedKeyOrWallet } from '../../http/wallet-auth.ts';
export { registerX402Routes } from '../../routes/x402/index.ts';
export { WalletBilling } from './wallet-billing.ts';
export { createWalletServices } from './wallet-services.ts';
export { createWeb3KeyService } from './web3-key-service.ts';
